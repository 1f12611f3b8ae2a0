"""Form advice: does the kartrekker's goal call for a studiemiddag, a workshop or a lerend netwerk?"""
